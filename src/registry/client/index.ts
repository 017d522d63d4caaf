/** The distribution protocol client: challenges, credentials, tokens, transport, and RegistryClient. */
export * from "./challenge.ts";
export * from "./client.ts";
export * from "./credentials.ts";
export * from "./hosts.ts";
export * from "./registries-config.ts";
export * from "./registry-errors.ts";
export * from "./token.ts";
export * from "./transport.ts";
