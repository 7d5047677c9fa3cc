// @ts-check
// The viewer's websocket messages, as the page reads and writes them. They mirror
// camserver/service/viewer/messages.py (a unit test checks that both name the same keys).

/**
 * @typedef {object} RegionMessage The part of the image a picture shows, in image pixels.
 * @property {number} x
 * @property {number} y
 * @property {number} width
 * @property {number} height
 * @property {number} step
 * @property {number} picture_width
 * @property {number} picture_height
 */

/**
 * @typedef {object} HistogramMessage Counts of the shown pixels in equal bins over [low, high).
 * @property {number} low
 * @property {number} high
 * @property {number[]} counts
 * @property {number} below
 * @property {number} above
 * @property {number} sampled
 * @property {number} min
 * @property {number} max
 */

/**
 * @typedef {object} LevelsMessage The values shown as the darkest and brightest colour.
 * @property {number} min
 * @property {number} max
 * @property {boolean} auto
 * @property {number} low_percentile
 * @property {number} high_percentile
 * @property {HistogramMessage | null} histogram
 */

/**
 * @typedef {object} ImageMessage The size and pixel type of the whole image.
 * @property {number} width
 * @property {number} height
 * @property {string} dtype
 */

/**
 * @typedef {object} AxisMessage One axis of the shown region, linear from start to end.
 * @property {number} start
 * @property {number} end
 * @property {string} unit
 * @property {boolean} calibrated
 */

/**
 * @typedef {object} HistoryMessage The followed channels of every message read since the last frame.
 * @property {number[]} pulse_id
 * @property {(number | null)[]} time
 * @property {Record<string, (number | null)[]>} values
 * @property {number} lost
 */

/**
 * @typedef {object} ProfileData
 * @property {number} start
 * @property {number} step
 * @property {(number | null)[]} values
 * @property {(number | null)[]} [fit]
 */

/**
 * @typedef {object} Overlays
 * @property {{x: number, y: number} | null} center_of_mass
 * @property {{x: number, y: number, sigma_x: number | null, sigma_y: number | null} | null} fit
 * @property {{x0: number, y0: number, x1: number, y1: number} | null} good_region
 * @property {{x: number, y: number, sigma_x: number | null, sigma_y: number | null} | null} good_region_fit
 * @property {{x: number, y: number, sigma: number | null, orientation: string}[]} slices
 */

/**
 * @typedef {object} FrameMessage The JSON part of a frame (binary: length, this, JPEG).
 * @property {"frame"} type
 * @property {number} seq
 * @property {number} pulse_id
 * @property {number | null} timestamp
 * @property {RegionMessage} view
 * @property {LevelsMessage} levels
 * @property {string} colormap
 * @property {ImageMessage} image
 * @property {{x: AxisMessage, y: AxisMessage}} axes
 * @property {{source: string, x: ProfileData, y: ProfileData}} profiles
 * @property {Overlays} overlays
 * @property {Record<string, any>} scalars
 * @property {Record<string, any> | null} processing_parameters
 * @property {HistoryMessage} history
 * @property {Statistics} statistics
 */

/**
 * @typedef {object} Statistics This browser's figures and its feed's.
 * @property {number} fps
 * @property {number} requested_fps
 * @property {number} sent
 * @property {number} skipped
 * @property {number} in_flight
 * @property {number | null} latency_ms
 * @property {number} history_lost
 * @property {Record<string, any>} feed
 */

/**
 * @typedef {object} StatusMessage The figures, while no frame goes out.
 * @property {"status"} type
 * @property {Statistics} statistics
 */

/**
 * @typedef {object} PixelsMessage Raw values of a region of the frame `seq`: values[row][column].
 * @property {"pixels"} type
 * @property {number} seq
 * @property {number} x
 * @property {number} y
 * @property {number} width
 * @property {number} height
 * @property {string} dtype
 * @property {(number | null)[][]} values
 */

/**
 * @typedef {object} ErrorMessage What went wrong, in words; code is the HTTP status it stands for.
 * @property {"error"} type
 * @property {"error"} state
 * @property {string} status
 * @property {string} error
 * @property {number} code
 */

/**
 * @typedef {object} PixelRequest A region whose raw values the browser wants.
 * @property {number} seq
 * @property {number} x
 * @property {number} y
 * @property {number} width
 * @property {number} height
 */

/**
 * @typedef {object} BrowserMessage What the browser sends: an acknowledgement, a pixel request
 *   and/or settings (fps, colormap, min, max, low_percentile, high_percentile, zoom, history,
 *   max_width, max_height).
 * @property {number} [ack]
 * @property {PixelRequest} [pixels]
 */

export {};
