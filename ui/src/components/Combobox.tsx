//! A search-as-you-type picker following the WAI-ARIA combobox pattern: the text
//! box filters a list box, arrow keys move, Enter picks, Escape closes.
import { useId, useMemo, useState } from 'preact/hooks';

export interface ComboOption {
  id: number;
  label: string;
  detail?: string;
}

interface ComboboxProps {
  id: string;
  options: ComboOption[];
  selected: number | null;
  onSelect: (id: number | null) => void;
  error?: string | undefined;
  placeholder?: string;
}

const MAX_SHOWN = 8;

export function Combobox({ id, options, selected, onSelect, error, placeholder }: ComboboxProps) {
  const listId = useId();
  const selectedOption = options.find((option) => option.id === selected);
  const [text, setText] = useState(selectedOption?.label ?? '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  const matches = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const found = options.filter((option) =>
      `${option.label} ${option.detail ?? ''}`.toLowerCase().includes(needle),
    );
    return found.slice(0, MAX_SHOWN);
  }, [options, text]);

  const pick = (option: ComboOption) => {
    setText(option.label);
    onSelect(option.id);
    setOpen(false);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((index) => Math.min(index + 1, matches.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((index) => Math.max(index - 1, 0));
    } else if (event.key === 'Enter' && open) {
      const option = matches[active];
      if (option) {
        event.preventDefault();
        pick(option);
      }
    } else if (event.key === 'Escape' && open) {
      // Keep the dialog open: Escape here only closes the list.
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  };

  const onInput = (value: string) => {
    setText(value);
    setOpen(true);
    setActive(0);
    const exact = options.find(
      (option) => option.label.toLowerCase() === value.trim().toLowerCase(),
    );
    onSelect(exact ? exact.id : null);
  };

  const activeOption = open ? matches[active] : undefined;
  const describedIds = error ? `${id}-error` : undefined;

  return (
    <div class="combobox">
      <input
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={open && matches.length > 0}
        aria-controls={listId}
        aria-activedescendant={activeOption ? `${listId}-${String(activeOption.id)}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedIds}
        placeholder={placeholder}
        value={text}
        onInput={(event) => {
          onInput(event.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => {
          setOpen(true);
        }}
        onBlur={() => {
          setOpen(false);
        }}
      />
      <ul id={listId} role="listbox" class="combobox-list" hidden={!open || matches.length === 0}>
        {matches.map((option, index) => (
          <li
            key={option.id}
            id={`${listId}-${String(option.id)}`}
            role="option"
            aria-selected={index === active}
            class={index === active ? 'active' : undefined}
            onMouseDown={(event) => {
              // Pick before the text box loses focus and closes the list.
              event.preventDefault();
              pick(option);
            }}
          >
            {option.label}
            {option.detail ? <span class="detail"> {option.detail}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
