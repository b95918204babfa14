/**
 * The emulator for a test file: src/emulator.ts's moto server, run with the test virtualenv's Python.
 * Tests reach it through AWS_ENDPOINT_URL, like users would.
 */
import path from "node:path";
import { existsSync } from "node:fs";
import { PACKAGE_ROOT } from "../../src/version.js";
import { startMoto as startMotoWith, type Moto, type MotoOptions } from "../../src/emulator.js";

export { ADMIN, DUMMY_CREDENTIALS, MOTO_DEFAULT_ACCOUNT, freePort, type Identity, type Moto, type UserSpec } from "../../src/emulator.js";

/** The Python of the test virtualenv (.venv), or XACCOUNT_TEST_PYTHON. */
export function testPython(): string {
  if (process.env.XACCOUNT_TEST_PYTHON) return process.env.XACCOUNT_TEST_PYTHON;
  const venv = path.join(PACKAGE_ROOT, ".venv", "bin", "python");
  if (!existsSync(venv)) {
    throw new Error(`no test virtualenv at ${venv}: run 'bash .ci/run' once, or set XACCOUNT_TEST_PYTHON`);
  }
  return venv;
}

/** IAM is enforced unless `permissive` says (in one line) why this test cannot run under it. */
export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  return startMotoWith(testPython(), options);
}
