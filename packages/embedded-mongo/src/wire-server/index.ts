export { startWireServer, type WireServer, type WireServerOptions } from './server';
