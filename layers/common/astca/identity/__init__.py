"""Identity: per-tenant OIDC (one Keycloak realm per tenant), principals, roles and mTLS client certificates."""
