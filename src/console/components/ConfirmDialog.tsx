/**
 * A confirmation in a real modal <dialog>: focus moves into it (to the safe choice), Tab stays
 * inside, Escape backs out.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  onConfirm(): void;
  onClose(): void;
}

export function ConfirmDialog({ open, title, children, confirmLabel, cancelLabel = 'Go back', danger, onConfirm, onClose }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-body`} onClose={onClose} data-testid="confirm-dialog">
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-body`}>{children}</div>
      <div class="dialog-actions">
        <button type="button" class="button secondary" autofocus onClick={onClose}>
          {cancelLabel}
        </button>
        <button type="button" class={danger ? 'button danger' : 'button'} onClick={onConfirm} data-testid="confirm-button">
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
