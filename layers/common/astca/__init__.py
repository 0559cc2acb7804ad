"""astca: the shared layer of the AST Certificate Authority.

Importing it defers Powertools' catch-all package initialisers (``astca.lazy_packages``), so that a
function that imports astca first loads only the Powertools modules it uses.
"""

from astca import lazy_packages

lazy_packages.defer_all()
