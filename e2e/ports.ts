/** e2e ports, away from `npm start`'s 3000 / 5173. Servers a test spawns itself use 3102–3109. */
export const E2E_SERVER_PORT = 3101
/** The production build of the playground (`vite preview`): fast page loads for most specs. */
export const E2E_VITE_PORT = 5174
/** The Vite dev server (React's development build): its warnings count as console errors too. */
export const E2E_DEV_PORT = 5175
export const E2E_ORIGINS = [E2E_VITE_PORT, E2E_DEV_PORT].map((port) => `http://127.0.0.1:${port}`)
/** `--allow-origin` arguments for a server the pages of both Vite servers connect to. */
export const ALLOW_E2E_ORIGINS = E2E_ORIGINS.flatMap((origin) => ['--allow-origin', origin])
