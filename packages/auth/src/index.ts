export {
  type AdminTokenConfig,
  adminToken,
  adminTokenValidUntil,
  DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
  verifyAdminToken,
} from './admin-token.js';
export { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key.js';
export { AuthError, isAuthError } from './auth-error.js';
export { authorizeAdminAction, authorizeEvent } from './authorize.js';
export { jobToken, TOKEN_LENGTH, verifyJobToken } from './job-token.js';
export {
  createJwtVerifier,
  DEFAULT_JWKS_MAX_STALE_MS,
  type JwtVerification,
  type JwtVerifier,
  roleFromClaims,
} from './jwt.js';
export { generateNonce, hashNonce, looksLikeNonce } from './nonce.js';
export {
  type ApiKeyPort,
  type ApiKeyRecord,
  DEFAULT_NONCE_ROLE,
  type NonceConsumption,
  type NoncePort,
} from './ports.js';
export {
  type Authentication,
  type AuthenticationDeps,
  authenticate,
  cliOperator,
  type Principal,
} from './principal.js';
export { REDACT_PATHS, REDACTED, redactSecrets, redactUrl } from './redact.js';
export { ACTIONS, type Action, isRole, ROLES, type Role, roleAllows, rolesAllowing } from './roles.js';
export { openSealedSecret, sealSecret } from './sealed-secret.js';
export { adminKeyFingerprint, secretFingerprint, secretWeakness } from './secret-fingerprint.js';
export { generateWebhookSecret, webhookSignature } from './webhook-signature.js';
