/**
 * The workflow definitions the SQLite read store's run rows refer to, each stored once. A run's
 * view holds its whole definition (the UI draws the graph from it), and writing it into the row
 * each time the row was written whole (a run's start and end at least) was most of a short run's
 * row; the row now holds the definition's number, and the view is stored without it.
 *
 * Numbers are looked up by the definition object first: the gateway's decoder hands the runs of a
 * workflow one shared definition. A number given in a transaction that rolls back is gone with
 * it, so a rollback forgets every number held in memory (`forget`), and they are looked up again.
 */
import type Database from 'better-sqlite3';
import type { RunView } from '@orchestrator-lite/core/projection';

type Definition = RunView['definition'];

export const DEFINITIONS_SCHEMA = 'CREATE TABLE IF NOT EXISTS definitions (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)';

/** Definitions held in memory by number, for reads; a store sees few, one per workflow version. */
const HELD_MAX = 256;

export class StoredDefinitions {
  private numbers = new WeakMap<object, number>();
  private readonly held = new Map<number, Definition>();
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      find: db.prepare<[string], { id: number }>('SELECT id FROM definitions WHERE text = ?'),
      add: db.prepare<[string], { id: number }>('INSERT INTO definitions (text) VALUES (?) RETURNING id'),
      text: db.prepare<[number], { text: string }>('SELECT text FROM definitions WHERE id = ?'),
    };
  }

  /** The definition's number, given now if it has none; within the write transaction. */
  numberOf(definition: Definition): number {
    let id = this.numbers.get(definition);
    if (id !== undefined) return id;
    const text = JSON.stringify(definition);
    id = this.stmt.find.get(text)?.id ?? this.stmt.add.get(text)!.id;
    this.numbers.set(definition, id);
    this.hold(id, definition);
    return id;
  }

  /** The definition of a number. */
  get(id: number): Definition {
    let definition = this.held.get(id);
    if (definition === undefined) {
      const row = this.stmt.text.get(id);
      if (row === undefined) throw new Error(`read store: definition ${id} is missing`);
      definition = JSON.parse(row.text) as Definition;
      this.numbers.set(definition, id);
      this.hold(id, definition);
    }
    return definition;
  }

  /** After a rollback: the numbers given in it are gone. */
  forget(): void {
    this.numbers = new WeakMap();
    this.held.clear();
  }

  /** The statements, kept reachable by a closed store (see `SqliteReadStore.close`). */
  statements(): unknown {
    return this.stmt;
  }

  private hold(id: number, definition: Definition): void {
    if (this.held.size >= HELD_MAX) this.held.delete(this.held.keys().next().value!);
    this.held.set(id, definition);
  }
}

/** A view as its row stores it: without its definition, which the row refers to by number. */
export function viewText(view: RunView): string {
  return JSON.stringify({ ...view, definition: undefined });
}
