// Public surface of the storage layer (Node-only embedded.ts is imported separately).
export { StorageError, type StorageErrorCode, type Store, type ObjectInfo, type PutOptions, type ListOptions, type ListPage, type PutIfAbsentResult } from './store';
export { S3Store, type S3StoreConfig } from './s3';
export { MemoryStore } from './memory';
export { keys, newId, isId, isSha256, isChunkId } from './keys';
export { s3ConfigFromEnv } from './config';
