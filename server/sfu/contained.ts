// werift's events and the SFU's own timers call back outside any request: a throw there
// reaches werift's emitter (a UDP socket's handler, say) or the event loop, and ends the
// process with every call on it. Each such callback is contained and the failure charged
// to the participant it concerns (SfuRoom.participantFault).

/** `run`, except that a throw goes to `onFault` instead of to whoever called it. `onFault` must not throw. */
export function contained<A extends unknown[]>(run: (...args: A) => void, onFault: (err: unknown) => void): (...args: A) => void {
  return (...args) => {
    try {
      run(...args);
    } catch (err) {
      onFault(err);
    }
  };
}
