/**
 * Restart intensity (OTP's add_restart): a supervisor may restart at most `intensity` times within
 * any `period` ms window; one more restart inside the window means the fault is not transient, so
 * the supervisor gives up and escalates. Time comes from Date.now() so tests can move it with fake
 * timers (`vi.setSystemTime`) without sleeping.
 */

export class RestartIntensity {
  private readonly intensity: number;
  private readonly period: number;
  /** timestamps (ms) of the restarts still inside the window, oldest first */
  private restarts: number[] = [];

  constructor(intensity: number, period: number) {
    this.intensity = intensity;
    this.period = period;
  }

  /** Records one restart; returns false when it exceeds the allowed intensity. */
  add(now = Date.now()): boolean {
    const since = now - this.period;
    let drop = 0;
    while (drop < this.restarts.length && this.restarts[drop]! <= since) drop++;
    if (drop > 0) this.restarts = this.restarts.slice(drop);
    this.restarts.push(now);
    return this.restarts.length <= this.intensity;
  }

  /** Restarts counted in the current window. */
  get count(): number {
    return this.restarts.length;
  }
}
