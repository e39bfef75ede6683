// The directory store that local retraining jobs keep their steps in runs the same contract as every Store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirStore } from '../../src/storage/dir.node';
import { runStoreContract } from './store.contract';

const root = mkdtempSync(join(tmpdir(), 'qaudit-dirstore-'));
runStoreContract('DirStore', () => new DirStore(root), { atomicConditionalPut: true });
