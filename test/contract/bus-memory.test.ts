import { MemoryBus } from '../../src/adapters/bus/memory-bus.js'
import { runBusContract } from './bus.contract.js'

// In process, publish resolves after delivery: nothing needs a long wait.
runBusContract({ name: 'in-process (MemoryBus)', create: async () => new MemoryBus(), deliveryTimeoutMs: 1_000 })
