import type { CodeInfo, CodeTable } from "./codes/types.js";
import { syntaxCodes } from "./codes/syntax.js";
import { namesCodes } from "./codes/names.js";
import { unitsCodes } from "./codes/units.js";
import { policyCodes } from "./codes/policy.js";
import { hostCodes } from "./codes/host.js";
import { execCodes } from "./codes/exec.js";
import { cliCodes } from "./codes/cli.js";
import { filesCodes } from "./codes/files.js";
import { securityCheckCodes, securityExecCodes } from "./codes/security.js";
import { trafficCodes } from "./codes/traffic.js";
import { systemdCodes } from "./codes/systemd.js";

/**
 * The one catalog of diagnostic codes, grouped by range:
 * VSC1xxx syntax, VSC2xxx names and references, VSC3xxx types and units,
 * VSC4xxx policy (admission, conflicts), VSC5xxx plan/apply/host,
 * VSC9xxx command line (files that cannot be read, bad flags).
 */
export const catalog: CodeTable = Object.freeze({
  ...syntaxCodes,
  ...namesCodes,
  ...unitsCodes,
  ...policyCodes,
  ...hostCodes,
  ...execCodes,
  ...cliCodes,
  ...filesCodes,
  ...securityCheckCodes,
  ...securityExecCodes,
  ...trafficCodes,
  ...systemdCodes,
});

export function lookupCode(code: string): CodeInfo | undefined {
  return Object.prototype.hasOwnProperty.call(catalog, code.toUpperCase())
    ? catalog[code.toUpperCase()]
    : undefined;
}
