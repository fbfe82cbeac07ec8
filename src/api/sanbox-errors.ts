/**
 * The error shape of sanbox's own routes (/api/keys, and the console's to come):
 * `{"error": {"code", "field", "message", "params"}}` with the domain's stable code and
 * words, and REST's statuses (a conflict is 409, not Django's 400).
 */
import type { FastifyReply } from 'fastify';
import { DomainError, notFound } from '../domain/errors.js';
import type { EntityKind } from '../domain/error-codes.js';
import { statusTable } from './http/error-status.js';

export const SANBOX_STATUS = statusTable({ invalid: 400, conflict: 409, referenced: 409, not_found: 404 });

export interface SanboxErrorBody {
  error: { code: string; field: string; message: string; params?: unknown };
}

export function sanboxErrorBody(e: DomainError): SanboxErrorBody {
  return { error: { code: e.code, field: e.field, message: e.message, params: e.params } };
}

export function sendSanboxError(reply: FastifyReply, e: DomainError): FastifyReply {
  return reply.code(SANBOX_STATUS[e.code]).send(sanboxErrorBody(e));
}

export function sendNotFound(reply: FastifyReply, entity: EntityKind): FastifyReply {
  return sendSanboxError(reply, notFound(entity));
}

/** A request refused before the domain saw it (schema, content type, size). */
export function requestErrorBody(field: string, message: string): SanboxErrorBody {
  return { error: { code: 'request.invalid', field, message } };
}
