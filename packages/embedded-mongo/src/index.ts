export {
  parseEmbeddedMongoMode,
  startEmbeddedMongo,
  type EmbeddedMongo,
  type EmbeddedMongoMode,
  type EmbeddedMongoOptions,
} from './launcher';
export {
  startWireServer,
  type AuthOption,
  type WireCredentials,
  type WireServer,
  type WireServerOptions,
} from './wire-server';
