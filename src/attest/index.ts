// Public surface of the attestation and webhook-signature helpers (WebCrypto only: Node and Workers).
export { sha256Hex, toBase64, fromBase64, toBase64Url, toHex } from './encoding';
export {
  generateSigningKey, importPrivateKey, exportPublicJwk, exportPrivateJwk, jwkThumbprint,
  type SigningKey, type PublicJwk, type PrivateJwk,
} from './ed25519';
export { pae, type DsseEnvelope, type DsseSignature } from './dsse';
export {
  createStatement, signStatement, verifyEnvelope, subjectMatches,
  STATEMENT_TYPE, IN_TOTO_PAYLOAD_TYPE, AUDIT_PREDICATE_TYPE, type Statement, type Subject, type VerifyResult,
} from './statement';
export { hmacSha256, timingSafeEqual, verifyHuggingFaceSecret, verifyMlflowSignature, type MlflowCheck } from './webhooks';
export { testResult, testResultStatement, TEST_RESULT_PREDICATE_TYPE, type TestResult, type AuditOutcome, type ResourceDescriptor } from './test-result';
