//! A labelled form control with its error message beside it, linked for screen
//! readers through `aria-describedby`.
import type { ComponentChildren } from 'preact';

interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: ComponentChildren;
}

export function Field({ id, label, error, hint, children }: FieldProps) {
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Returns the attributes that tie a control to its `Field` message. */
export function describedBy(id: string, error: string | undefined, hint?: string) {
  let describedIds: string | undefined;
  if (error) {
    describedIds = `${id}-error`;
  } else if (hint) {
    describedIds = `${id}-hint`;
  }
  return { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedIds };
}
