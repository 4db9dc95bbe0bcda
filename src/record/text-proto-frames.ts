/**
 * The messages the text-format fast path (text-proto-fast.ts) fills, one open message per
 * nesting level. Repeated number fields are gathered in scratch lists that the next
 * message at the same level reuses, and copied out when the message closes, each to an
 * array of its exact size: pushing to the message's own arrays allocates about three
 * times the values (an array grows by half each time it is full), and on a large record
 * (48,000 values) that garbage is what brings the collections into the parse.
 */
import type { FieldInfo } from './text-proto-fields';
import type { TextScanner } from './text-scanner';

export type Message = Record<string, unknown>;

/** A repeated number field's values in one message: the first `count` of `values`. */
interface NumberList {
  field: FieldInfo;
  values: number[];
  count: number;
}

/**
 * A scratch list, from an array literal of its own: V8 starts the arrays of one literal in
 * the most general element kind that literal's arrays have held, so lists made where
 * message lists are made would hold every number boxed on the heap. It holds doubles from
 * the start (an array keeps its element kind when emptied): one that starts with small
 * integers changes kind at the first float, and the code using it is compiled again.
 */
function newNumberList(field: FieldInfo): NumberList {
  const values = [0.5];
  values.pop();
  return { field, values, count: 0 };
}

/** An open message: its fields, the object being filled, and its repeated fields' lists. */
class Frame {
  fields: FieldInfo[] = [];
  message: Message = {};
  /** The field read last: repeated fields come in runs, so the next name is usually this one. */
  last: FieldInfo | undefined;
  /** Lists of repeated messages, strings and bools, pushed to directly. */
  private readonly lists = new Map<FieldInfo, unknown[]>();
  /** Scratch lists of repeated number fields, kept for the next message at this level. */
  private readonly numbers = new Map<FieldInfo, NumberList>();
  /** The number lists this message uses, in the order their fields first came. */
  private readonly used: NumberList[] = [];
  /** The number list used last: repeated fields come in runs, so usually the next one's too. */
  private lastNumbers: NumberList | undefined;

  /** Starts filling `message`, a message with `fields`. */
  open(fields: FieldInfo[], message: Message): void {
    this.fields = fields;
    this.message = message;
    this.last = undefined;
    this.lists.clear(); // the lists themselves live on in their messages
    this.lastNumbers = undefined; // its list may serve this message too, but is not in `used` yet
  }

  /** Ends the message: its number lists are copied into it, at their exact sizes. */
  close(): void {
    for (const list of this.used) {
      this.message[list.field.name] = list.values.slice(0, list.count);
      list.count = 0;
    }
    this.used.length = 0;
  }

  /** Sets `field`; false when a singular field would be given twice (protobufjs's error). */
  store(field: FieldInfo, value: unknown): boolean {
    if (field.repeated) {
      let list = this.lists.get(field);
      if (!list) this.lists.set(field, (list = this.message[field.name] = []));
      list.push(value);
      return true;
    }
    if (Object.prototype.hasOwnProperty.call(this.message, field.name)) return false;
    this.message[field.name] = value;
    return true;
  }

  /**
   * store() for the number the scanner read. Kept apart, and handed the scanner rather than
   * the number, so a double is never boxed on its way into the list (as an argument it would be).
   */
  storeNumber(field: FieldInfo, s: TextScanner): boolean {
    if (!field.repeated) return this.store(field, s.number);
    const list = this.numberList(field);
    if (list.count < list.values.length) list.values[list.count] = s.number;
    else list.values.push(s.number);
    list.count++;
    return true;
  }

  private numberList(field: FieldInfo): NumberList {
    if (this.lastNumbers?.field === field) return this.lastNumbers;
    let list = this.numbers.get(field);
    if (!list) this.numbers.set(field, (list = newNumberList(field)));
    if (list.count === 0) {
      this.used.push(list);
      this.message[field.name] = undefined; // its place among the fields; close() fills it
    }
    return (this.lastNumbers = list);
  }
}

/** The open messages by nesting level; a level's frame (and its scratch lists) serves every message at that level. */
export class FrameStack {
  private readonly frames: Frame[] = [];
  depth = 0;

  /** The message at the current level. */
  get current(): Frame {
    return this.frames[this.depth - 1];
  }

  /** Opens `message` one level down. */
  push(fields: FieldInfo[], message: Message): Frame {
    const frame = (this.frames[this.depth] ??= new Frame());
    this.depth++;
    frame.open(fields, message);
    return frame;
  }

  /** Closes the current message; the frame of the level above, or undefined at the top. */
  pop(): Frame | undefined {
    this.current.close();
    this.depth--;
    return this.depth > 0 ? this.current : undefined;
  }
}
