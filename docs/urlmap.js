// SPDX-License-Identifier: LGPL-2.1-or-later
// A map from a namespace to the URL of its documentation.
baseURLs = [
  [ 'GLib', 'https://docs.gtk.org/glib/' ],
  [ 'GObject', 'https://docs.gtk.org/gobject/' ],
  [ 'Gio', 'https://docs.gtk.org/gio/' ],
  [ 'Mpaio', '../mpaio-1/' ],
]
