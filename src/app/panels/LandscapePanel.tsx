/** Landscape panel (being written). */
export function LandscapePanel() {
  return <section className="panel"><h2>Landscape</h2></section>;
}
