/** Cloud panel (being written). */
export function CloudPanel() {
  return <section className="panel"><h2>Cloud</h2></section>;
}
