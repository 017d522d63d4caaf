/**
 * Go's strconv for what fmt and encoding/json need: FormatFloat ('e', 'f', 'g'; shortest or fixed
 * precision, rounding the exact binary value half-to-even as Go does, which toFixed does not) and
 * Quote / QuoteRune.
 */
export { isPrint, quote, quoteRune } from "../../util/go-quote.ts";

interface Decimal {
  digits: string; // no leading or trailing zeros; "" for zero
  dp: number; // value = 0.digits × 10^dp
}

function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length + e;
  }
  return trimZeros({ digits, dp });
}

function trimZeros(d: Decimal): Decimal {
  const digits = d.digits.replace(/0+$/, "");
  return digits === "" ? { digits: "", dp: 0 } : { digits, dp: d.dp };
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const [m, exp] = x.toExponential().split("e") as [string, string];
  return trimZeros({ digits: m.replace(".", ""), dp: Number(exp) + 1 });
}

/** Rounds to nd significant digits, half to even on the exact value. */
function roundTo(d: Decimal, nd: number): Decimal {
  if (nd < 0 || d.digits.length <= nd) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  const rest = d.digits.slice(nd + 1);
  const prev = nd > 0 ? d.digits.charCodeAt(nd - 1) - 48 : 0;
  const up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || prev % 2 === 1));
  if (!up) return trimZeros({ digits: d.digits.slice(0, nd), dp: d.dp });
  let i = nd - 1;
  const ds = d.digits.slice(0, nd).split("");
  while (i >= 0 && ds[i] === "9") ds[i--] = "0";
  if (i < 0) return { digits: "1", dp: d.dp + 1 };
  ds[i] = String(Number(ds[i]) + 1);
  return trimZeros({ digits: ds.join(""), dp: d.dp });
}

function fmtE(d: Decimal, prec: number, e: string): string {
  let s = d.digits === "" ? "0" : d.digits[0]!;
  if (prec > 0) {
    s += ".";
    const frac = d.digits.slice(1, prec + 1);
    s += frac + "0".repeat(prec - frac.length);
  }
  const exp = d.digits === "" ? 0 : d.dp - 1;
  const abs = Math.abs(exp);
  return `${s}${e}${exp < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
}

function fmtF(d: Decimal, prec: number): string {
  let s = d.dp > 0 ? d.digits.slice(0, d.dp).padEnd(d.dp, "0") : "0";
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      s += j >= 0 && j < d.digits.length ? d.digits[j] : "0";
    }
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64); prec -1 means the shortest representation that round-trips. */
export function formatFloat(x: number, fmt: "e" | "E" | "f" | "g" | "G", prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(abs);
    if (fmt === "e" || fmt === "E") prec = Math.max(d.digits.length - 1, 0);
    else if (fmt === "f") prec = Math.max(d.digits.length - d.dp, 0);
    else prec = d.digits.length;
  } else {
    const exact = exactDecimal(abs);
    if (fmt === "e" || fmt === "E") d = roundTo(exact, prec + 1);
    else if (fmt === "f") d = roundTo(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      d = roundTo(exact, prec);
    }
  }
  const sign = neg ? "-" : "";
  if (fmt === "e" || fmt === "E") return sign + fmtE(d, prec, fmt);
  if (fmt === "f") return sign + fmtF(d, prec);
  let eprec = prec;
  if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
  if (shortest) eprec = 6;
  const exp = d.dp - 1;
  if (d.digits !== "" && (exp < -4 || exp >= eprec)) {
    const p = Math.min(prec, d.digits.length);
    return sign + fmtE(d, p - 1, fmt === "g" ? "e" : "E");
  }
  if (prec > d.dp) prec = d.digits.length;
  return sign + fmtF(d, Math.max(prec - d.dp, 0));
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    if (ch === "`" || ch === "\ufeff") return false;
    const c = ch.codePointAt(0)!;
    if (c < 0x20 ? ch !== "\t" : c === 0x7f) return false;
  }
  return true;
}
