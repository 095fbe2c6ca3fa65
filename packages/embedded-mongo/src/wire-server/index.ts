export { startWireServer, type WireServer, type WireServerOptions } from './server';
export type { AuthOption, WireCredentials } from './auth/credentials';
