/** Paths panel (being written). */
export function PathsPanel() {
  return <section className="panel"><h2>Paths</h2></section>;
}
