"""The certificate authority: certificate building, KMS signing and the CA hierarchy (root, issuer).

Private keys are asymmetric KMS keys and never leave KMS: a certificate is built with
``cryptography``, its TBS bytes are signed through KMS (``kms.KmsSigner``), the signature is checked
against the key's public key, and the DER certificate is assembled from the parts
(``certificates.sign_certificate``). Besides ``storage`` and ``messaging``, this is the only package
that talks to AWS, and only to KMS.
"""
