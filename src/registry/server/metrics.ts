/**
 * Prometheus metrics of the registry (prom-client): requests by method, route and status, request
 * latencies, and bytes in and out. Served as text at /metrics.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export class RegistryMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #duration: Histogram<"method" | "route">;
  readonly #bytes: Counter<"direction">;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "wharf_registry_process_" });
    this.#requests = new Counter({
      name: "wharf_registry_http_requests_total",
      help: "HTTP requests answered, by method, route kind and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: "wharf_registry_http_request_duration_seconds",
      help: "Time from request to the end of the response, by method and route kind",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.#bytes = new Counter({
      name: "wharf_registry_http_bytes_total",
      help: "Bytes of request bodies received (in) and response bodies sent (out)",
      labelNames: ["direction"],
      registers: [this.registry],
    });
  }

  observe(method: string, route: string, status: number, seconds: number, bytesIn: number, bytesOut: number) {
    this.#requests.inc({ method, route, status: String(status) });
    this.#duration.observe({ method, route }, seconds);
    if (bytesIn > 0) this.#bytes.inc({ direction: "in" }, bytesIn);
    if (bytesOut > 0) this.#bytes.inc({ direction: "out" }, bytesOut);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
