/**
 * Query options that make a statement a named prepared statement: node-postgres parses it once
 * per connection and then only binds and executes it, and PostgreSQL can reuse its plan. The hot
 * paths of ordering and paying send the same dozen statements thousands of times a second.
 * Only for SQL whose text never changes (node-postgres refuses one name with two texts); the
 * embedded database ignores the name.
 */
export const prepared = (name: string): { name: string } => ({ name: `os_${name}` });
