/** e2e ports, away from `npm start`'s 3000 / 5173. Servers a test spawns itself use 3102–3109. */
export const E2E_SERVER_PORT = 3101
export const E2E_VITE_PORT = 5174
export const E2E_ORIGIN = `http://127.0.0.1:${E2E_VITE_PORT}`
