-- Pandoc's Typst writer drops alt text, and a PDF/UA figure needs it: write figures
-- and images as Typst ourselves, with `alt:` from the image's alt attribute.

-- `figure-width` in the metadata sets a figure's width (the brief: 82 % of its column).
local width = "82%"

local function str(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local function image_call(img, extra)
  local alt = img.attributes.alt or pandoc.utils.stringify(img.caption)
  local args = str(img.src) .. extra
  if alt ~= "" then
    args = args .. ", alt: " .. str(alt)
  end
  return "image(" .. args .. ")"
end

function Figure(fig)
  local img
  fig:walk({ Image = function(i) img = img or i end })
  if not img then
    return nil
  end
  local caption = pandoc.write(pandoc.Pandoc(fig.caption.long), "typst")
  return pandoc.RawBlock("typst",
    "#figure(" .. image_call(img, ", width: " .. width) .. ",\n  caption: [" .. caption .. "])")
end

function Image(img)
  return pandoc.RawInline("typst", "#box(" .. image_call(img, "") .. ")")
end

-- Set on every document (the worker runs this filter again and again).
function Meta(meta)
  width = meta["figure-width"] and pandoc.utils.stringify(meta["figure-width"]) or "82%"
end

-- The width first; figures next, so that their image is still an Image when the figure is written.
return { { Meta = Meta }, { Figure = Figure }, { Image = Image } }
