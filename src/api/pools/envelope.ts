/**
 * The share-pool API's answer, success or not: {scode, desc, message, message_cn, stack,
 * data}. Success is scode 0 with "success"/"成功"; a failure carries its scode (scodes.ts),
 * `desc` the domain's stable code (and the field, when there is one), the words in
 * English and Chinese, `stack` null (never a server stack) and `data` null.
 */
export interface Envelope<T> {
  scode: number;
  desc: string;
  message: string;
  message_cn: string;
  stack: null;
  data: T;
}

export function success<T>(data: T): Envelope<T> {
  return { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data };
}

export function failure(scode: number, desc: string, message: string, messageCn: string): Envelope<null> {
  return { scode, desc, message, message_cn: messageCn, stack: null, data: null };
}
