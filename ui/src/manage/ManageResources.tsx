//! Rooms and instruments: the list and a form to add one.
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { Field, describedBy } from '../components/Field';
import { directory, loadDirectory } from '../data';
import { fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import { useStore } from '../store';

export function ManageResources() {
  const dir = useStore(directory);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState('room');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState('');

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved('');
    try {
      const resource = await call(api.POST('/api/resources', { body: { id, name, kind } }));
      setErrors({});
      setId('');
      setName('');
      setSaved(`Added ${resource.name} (${resource.id}).`);
      await loadDirectory();
    } catch (error) {
      setErrors(fieldErrorsFrom(error, dir));
    }
  };

  return (
    <section class="manage" aria-labelledby="resources-heading">
      <h2 id="resources-heading">Rooms and instruments</h2>
      <table>
        <caption class="visually-hidden">Rooms and instruments</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Kind</th>
          </tr>
        </thead>
        <tbody>
          {dir.resources.map((resource) => (
            <tr key={resource.id}>
              <td>{resource.name}</td>
              <td>
                <code>{resource.id}</code>
              </td>
              <td>{resource.kind}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        <h3>Add a room or instrument</h3>
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <div class="field-row">
          <Field id="resource-name" label="Name" error={errors.name}>
            <input
              {...describedBy('resource-name', errors.name)}
              value={name}
              onInput={(event) => {
                setName(event.currentTarget.value);
              }}
            />
          </Field>
          <Field
            id="resource-id"
            label="Id"
            error={errors.id}
            hint="Short and stable, such as roomA or piano."
          >
            <input
              {...describedBy('resource-id', errors.id, 'hint')}
              value={id}
              onInput={(event) => {
                setId(event.currentTarget.value);
              }}
            />
          </Field>
          <Field id="resource-kind" label="Kind" error={errors.kind}>
            <select
              {...describedBy('resource-kind', errors.kind)}
              value={kind}
              onChange={(event) => {
                setKind(event.currentTarget.value);
              }}
            >
              <option value="room">Room</option>
              <option value="instrument">Instrument</option>
            </select>
          </Field>
        </div>
        <div class="actions">
          <button type="submit">Add</button>
        </div>
        <p role="status">{saved}</p>
      </form>
    </section>
  );
}
