import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIL_TEMPLATES, type MailTemplateName } from '../../models/mail-outbox';

/** A mail ready for a transport: every mail has a plain-text part and an HTML part. */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

interface TemplateFiles {
  subject: string;
  text: string;
  html: string;
}

// Beside this file both in src/ (tsx, ts-jest) and in dist/ (the build copies the folder).
const TEMPLATE_DIR = join(__dirname, 'templates');
const SUBJECT_LINE = /^Subject: (.+)\r?\n\r?\n/;
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

function readTemplate(name: MailTemplateName, dir: string): TemplateFiles {
  const text = readFileSync(join(dir, `${name}.txt`), 'utf8');
  const html = readFileSync(join(dir, `${name}.html`), 'utf8');
  const subject = SUBJECT_LINE.exec(text);
  if (!subject?.[1]) throw new Error(`mail template ${name}.txt must start with "Subject: …"`);
  return { subject: subject[1], text: text.slice(subject[0].length), html };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

function fill(
  template: string,
  values: Record<string, string>,
  escape: (value: string) => string,
): string {
  return template.replace(PLACEHOLDER, (_match, key: string) => {
    const value = values[key];
    // A mail with a hole in it is a bug, never something to send.
    if (value === undefined) throw new Error(`mail template value "${key}" is missing`);
    return escape(value);
  });
}

export type MailRenderer = (
  name: MailTemplateName,
  to: string,
  values: Record<string, string>,
) => RenderedMail;

/**
 * Reads every template once, at start, so a missing or broken file stops keycard from starting
 * rather than surfacing at the first mail. Values are escaped in the HTML part, and never in
 * the text part, where each link stands whole on a line of its own.
 */
export function loadMailTemplates(dir = TEMPLATE_DIR): MailRenderer {
  const templates = new Map(MAIL_TEMPLATES.map((name) => [name, readTemplate(name, dir)]));
  return (name, to, values) => {
    const template = templates.get(name);
    if (!template) throw new Error(`no mail template ${name}`);
    return {
      to,
      subject: fill(template.subject, values, (value) => value.replace(/[\r\n]+/g, ' ')),
      text: fill(template.text, values, (value) => value),
      html: fill(template.html, values, escapeHtml),
    };
  };
}

const UNITS = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
] as const;

/** 1800 → "30 minutes", 86400 → "1 day": how long a link stays valid, in the mail's words. */
export function describeDuration(seconds: number): string {
  const [size, unit] = UNITS.find(([unitSeconds]) => seconds % unitSeconds === 0) ?? UNITS[3];
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
