/** Align panel (being written). */
export function AlignPanel() {
  return <section className="panel"><h2>Align</h2></section>;
}
