/**
 * What a name is: the one definition, used by the lexer (where a word becomes
 * a name), the checker (cgroup-root), the emitter (nft strings) and
 * `vsc exec` (cgroup paths). Names become cgroup directory names and
 * nftables identifiers, so nothing outside this pattern may reach them.
 */

/** A name: a lower case letter, then up to 62 lower case letters, digits, `_` and `-`. */
export const NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;

/** Names joined by `/`: a cgroup path below the mount (`cgroup-root`, a node's path). */
export const NAME_PATH_RE = new RegExp(
  `^${NAME_RE.source.slice(1, -1)}(?:/${NAME_RE.source.slice(1, -1)})*$`,
);

/** The rule in words, for diagnostics. */
export const NAME_HELP =
  "a name is 1 to 63 characters: lower case letters, digits, `_` and `-`, starting with a letter";
