// Hearth is a client-only SPA: all data lives on the device.
export const ssr = false;
export const prerender = false;
