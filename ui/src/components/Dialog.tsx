//! A modal dialog on the native `<dialog>` element: it traps focus, closes on
//! Escape, and gives focus back to the control that opened it.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Marks the dialog as an alert, for confirmations that change data. */
  alert?: boolean;
}

export function Dialog({ title, onClose, children, alert = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const opener = document.activeElement;
    ref.current?.showModal();
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class="dialog"
      role={alert ? 'alertdialog' : undefined}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <header class="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="secondary" onClick={onClose} aria-label={`Close ${title}`}>
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}
