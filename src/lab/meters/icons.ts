/** Icons for the side panels; colours come from the theme's icon classes. */
import { LabIcon } from '@jupyterlab/ui-components';

/** A 16 px icon whose fill follows the theme (jp-icon3). */
const SVG_OPEN =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<g class="jp-icon3" fill="#616161">';

export const cpuIcon = new LabIcon({
  name: 'threadline:cpu',
  svgstr:
    SVG_OPEN +
    '<rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/>' +
    '<rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>'
});

export const lockIcon = new LabIcon({
  name: 'threadline:lock',
  svgstr:
    SVG_OPEN + '<path d="M12 2a5 5 0 0 0-5 5v3H5v12h14V10h-2V7a5 5 0 0 0-5-5zm-3 8V7a3 3 0 0 1 6 0v3H9z"/></g></svg>'
});
