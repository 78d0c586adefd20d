//! Server settings and the directory of rooms, instruments, teachers and
//! students, loaded once and reloaded after the desk adds to them.
import {
  api,
  call,
  type Resource,
  type ServerStatus,
  type Student,
  type Teacher,
} from './api/client';
import { createStore } from './store';

export interface Directory {
  resources: Resource[];
  teachers: Teacher[];
  students: Student[];
}

export const directory = createStore<Directory>({ resources: [], teachers: [], students: [] });
export const serverStatus = createStore<ServerStatus | null>(null);

export async function loadStatus(): Promise<ServerStatus> {
  const status = await call(api.GET('/api/status'));
  serverStatus.set(status);
  return status;
}

export async function loadDirectory(): Promise<Directory> {
  const [resources, teachers, students] = await Promise.all([
    call(api.GET('/api/resources')),
    call(api.GET('/api/teachers')),
    call(api.GET('/api/students')),
  ]);
  const next = { resources, teachers, students };
  directory.set(next);
  return next;
}

/** Display names for a booking's resource, teacher and student, falling back to ids. */
export function namesOf(
  dir: Directory,
  booking: { resource_id?: string | null; teacher_id: number; student_id: number },
): { resource: string; teacher: string; student: string } {
  const resourceId = booking.resource_id ?? 'primary';
  return {
    resource: dir.resources.find((r) => r.id === resourceId)?.name ?? resourceId,
    teacher:
      dir.teachers.find((t) => t.id === booking.teacher_id)?.name ??
      `teacher ${String(booking.teacher_id)}`,
    student:
      dir.students.find((s) => s.id === booking.student_id)?.name ??
      `student ${String(booking.student_id)}`,
  };
}
