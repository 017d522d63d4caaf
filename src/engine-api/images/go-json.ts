/**
 * Image route answers as moby's httputils.WriteJSON writes them: Go's encoding (struct fields in
 * order, map keys sorted, no HTML escaping) and a newline after (the server drops the charset
 * fastify adds to the content type). The docker CLI prints an inspect answer's bytes as they came,
 * so they must be Go's, not JSON.stringify's. Objects marked with goStruct keep their field order.
 */
import type { FastifyReply } from "fastify";
import { marshalJSON } from "../../format/gojson.ts";

export function sendGoJSON(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply
    .code(status)
    .type("application/json")
    .send(`${marshalJSON(value, false)}\n`);
}
