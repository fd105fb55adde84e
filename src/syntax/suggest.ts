export { closest, editDistance } from "../diag/suggest.js";
