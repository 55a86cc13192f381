import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The JWT secret: from configuration, else generated once and kept in DATA_DIR so tokens survive
 * a restart. Several instances must share JWT_SECRET (the file is per machine).
 */
export async function resolveJwtSecret(configured: string | null, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'jwt-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

const DEMO_PASSWORDS_FILE = 'demo-passwords.json';

export function demoPasswordsFile(dataDir: string): string {
  return path.resolve(dataDir, DEMO_PASSWORDS_FILE);
}

/** The demo passwords this DATA_DIR keeps, by e-mail; empty when it keeps none (or cannot be read as such). */
export async function readDemoPasswords(dataDir: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(demoPasswordsFile(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length >= 8));
  } catch {
    return {};
  }
}

/**
 * A password for each demo account, generated at random once per DATA_DIR and kept there (mode
 * 0600, next to the generated JWT secret), so the same data directory keeps its logins across
 * restarts and nobody else's copy of the service shares them.
 */
export async function demoPasswordsFor(dataDir: string, emails: readonly string[]): Promise<Record<string, string>> {
  const kept = await readDemoPasswords(dataDir);
  const missing = emails.filter((email) => !kept[email]);
  if (missing.length === 0) return kept;
  for (const email of missing) kept[email] = randomBytes(12).toString('base64url');
  const file = demoPasswordsFile(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(file, 0o600);
  return kept;
}
