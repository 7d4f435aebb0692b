// swagger-ui-dist ships no types; this is the one module of it the server imports.
declare module 'swagger-ui-dist/absolute-path.js' {
  /** The package's own folder, where its static assets are. */
  const getAbsoluteFSPath: () => string;
  export default getAbsoluteFSPath;
}
