import { h } from 'preact'
import htm from 'htm'

/** JSX-like templates without a compile step (htm over Preact's h). */
export const html = htm.bind(h)
