//! Teachers and students: the lists, a form to add each, and a student's billing.
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { StudentBillingPanel } from '../billing/StudentBillingPanel';
import { Field, describedBy } from '../components/Field';
import { directory, loadDirectory } from '../data';
import { fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import { useStore } from '../store';

export function ManageTeachers() {
  const dir = useStore(directory);
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState('');

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved('');
    try {
      const teacher = await call(api.POST('/api/teachers', { body: { name } }));
      setErrors({});
      setName('');
      setSaved(`Added ${teacher.name}.`);
      await loadDirectory();
    } catch (error) {
      setErrors(fieldErrorsFrom(error, dir));
    }
  };

  return (
    <section class="manage" aria-labelledby="teachers-heading">
      <h2 id="teachers-heading">Teachers</h2>
      <ul class="people">
        {dir.teachers.map((teacher) => (
          <li key={teacher.id}>{teacher.name}</li>
        ))}
      </ul>
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        <h3>Add a teacher</h3>
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <Field id="teacher-name" label="Name" error={errors.name}>
          <input
            {...describedBy('teacher-name', errors.name)}
            value={name}
            onInput={(event) => {
              setName(event.currentTarget.value);
            }}
          />
        </Field>
        <div class="actions">
          <button type="submit">Add teacher</button>
        </div>
        <p role="status">{saved}</p>
      </form>
    </section>
  );
}

export function ManageStudents() {
  const dir = useStore(directory);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState('');
  const [billingFor, setBillingFor] = useState<number | null>(null);
  const billingStudent = dir.students.find((student) => student.id === billingFor);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved('');
    try {
      const student = await call(api.POST('/api/students', { body: { name, email } }));
      setErrors({});
      setName('');
      setEmail('');
      setSaved(`Added ${student.name}.`);
      await loadDirectory();
    } catch (error) {
      setErrors(fieldErrorsFrom(error, dir));
    }
  };

  return (
    <section class="manage" aria-labelledby="students-heading">
      <h2 id="students-heading">Students</h2>
      <table>
        <caption class="visually-hidden">Students</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Contact email</th>
            <th scope="col">Billing</th>
          </tr>
        </thead>
        <tbody>
          {dir.students.map((student) => (
            <tr key={student.id}>
              <td>{student.name}</td>
              <td>{student.email}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Billing for ${student.name}`}
                  aria-expanded={billingFor === student.id}
                  onClick={() => {
                    setBillingFor(billingFor === student.id ? null : student.id);
                  }}
                >
                  Billing
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {billingStudent ? (
        <StudentBillingPanel
          key={billingStudent.id}
          student={billingStudent}
          onClose={() => {
            setBillingFor(null);
          }}
        />
      ) : null}
      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        <h3>Add a student</h3>
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <div class="field-row">
          <Field id="student-name" label="Name" error={errors.name}>
            <input
              {...describedBy('student-name', errors.name)}
              value={name}
              onInput={(event) => {
                setName(event.currentTarget.value);
              }}
            />
          </Field>
          <Field
            id="student-email"
            label="Contact email"
            error={errors.email}
            hint="The student's or guardian's address, used for billing."
          >
            <input
              type="email"
              {...describedBy('student-email', errors.email, 'hint')}
              value={email}
              onInput={(event) => {
                setEmail(event.currentTarget.value);
              }}
            />
          </Field>
        </div>
        <div class="actions">
          <button type="submit">Add student</button>
        </div>
        <p role="status">{saved}</p>
      </form>
    </section>
  );
}

export function ManagePeople() {
  return (
    <div class="manage-people">
      <ManageTeachers />
      <ManageStudents />
    </div>
  );
}
