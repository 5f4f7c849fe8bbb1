/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Set by `npm start` and the e2e config: the reference server's URL. */
  readonly VITE_LIVECRUD_SERVER?: string
}
