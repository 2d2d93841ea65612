// No-op task for tinypool / piscina: returns its argument.
export default function noop(x) {
  return x;
}
