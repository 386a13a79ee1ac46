import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { runStateStoreContract } from './state-store.contract.js'

runStateStoreContract({ name: 'in memory (MemoryStateStore)', create: async () => new MemoryStateStore() })
