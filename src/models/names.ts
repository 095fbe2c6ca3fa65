export const NAME_MAX_CHARACTERS = 100;

// Controls, and the bidirectional embeddings, overrides, isolates and marks that can make one
// name display as another in a list.
const FORBIDDEN = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// Something a person can see: not a space, not a default-ignorable character (zero-width
// spaces and joiners, fillers such as U+3164), not a lone combining mark, not a braille blank.
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}\u2800]/u;

/**
 * What is wrong with a display name, or undefined when it is fine. Length is counted in
 * characters (code points) everywhere, the same way here, in validation and in the model.
 */
export function nameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length === 0) return 'must not be empty';
  if (length > NAME_MAX_CHARACTERS) return `must be at most ${NAME_MAX_CHARACTERS} characters`;
  if (FORBIDDEN.test(name)) return 'must not contain control or text-direction characters';
  if (!VISIBLE.test(name)) return 'must contain a visible character';
  return undefined;
}
