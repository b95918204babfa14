/**
 * Whether a server package makes AWS calls at all. xaccount's whole effect is to sign AWS requests
 * with another account's credentials; a server that never imports an AWS SDK has nothing to sign, and
 * patching it would only add a runtime that imports botocore (which such a server may not install).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The Python AWS SDKs whose requests the runtime signs. */
export const AWS_SDKS = ["boto3", "botocore", "aioboto3", "aiobotocore"] as const;

const SDK_IMPORT = new RegExp(`^[ \\t]*(?:import[ \\t]+(?:[\\w.]+[ \\t]*,[ \\t]*)*|from[ \\t]+)(?:${AWS_SDKS.join("|")})\\b`, "m");

/** True when the module's text imports an AWS SDK (`import boto3`, `from botocore.config import ...`, ...). */
export function importsAwsSdk(text: string): boolean {
  return SDK_IMPORT.test(text);
}

/** The first module of the package (relative path) that imports an AWS SDK, or undefined if none does. */
export function firstAwsImport(packageDir: string, skip: (rel: string) => boolean = () => false): string | undefined {
  const walk = (rel: string): string | undefined => {
    let entries;
    try {
      entries = readdirSync(path.join(packageDir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return undefined;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && e.name !== "__pycache__" && !e.name.startsWith(".")) {
        const hit = walk(r);
        if (hit) return hit;
      } else if (e.isFile() && e.name.endsWith(".py") && !skip(r)) {
        let text: string;
        try {
          text = readFileSync(path.join(packageDir, r), "utf8");
        } catch {
          continue; // unreadable: the engine names it with permission-denied
        }
        if (importsAwsSdk(text)) return r;
      }
    }
    return undefined;
  };
  return walk("");
}
