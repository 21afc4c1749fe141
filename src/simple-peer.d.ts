// simple-peer's browser bundle, as y-webrtc imports it; Hearth only patches its prototype
// (src/lib/sync/webrtc-chunking.ts).
declare module 'simple-peer/simplepeer.min.js' {
  const Peer: { prototype: unknown };
  export default Peer;
}
