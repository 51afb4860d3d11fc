-- Typography per language, in every pandoc document: the rules of pipeline/render/typography.py
-- (see its docstring; a test holds both to the same results). The language comes from the
-- document's `lang` (fr-BE, nl-BE, en), the units from `typography-units` (set by crebis).

local NBSP = "\u{00A0}"
local NARROW = "\u{202F}"
local lang, units = "", {}

local function read_meta(meta)
  lang = meta.lang and pandoc.utils.stringify(meta.lang):sub(1, 2):lower() or ""
  units = {}
  for _, unit in ipairs(meta["typography-units"] or {}) do
    units[pandoc.utils.stringify(unit)] = true
  end
end

-- the unit a text starts with, followed by no further letter (so "ans" but not "answer")
local function starts_with_unit(text)
  local word = text:match("^([^%s%.,;:!%?%)%]]+)")
  return word and units[word]
end

local function ends_spaced(s)
  return s:match("%s$") or s:sub(-#NBSP) == NBSP or s:sub(-#NARROW) == NARROW
end

local function starts_spaced(s)
  return s:match("^%s") or s:sub(1, #NBSP) == NBSP or s:sub(1, #NARROW) == NARROW
end

-- French: a narrow no-break space before ; ! ? (and : after a letter) at the end of a word,
-- after an opening « and before a closing », where the text has none (or a plain no-break one)
local function french_str(text)
  text = text:gsub(NBSP .. "([;:!%?])", NARROW .. "%1"):gsub(NBSP .. "»", NARROW .. "»"):gsub("«" .. NBSP, "«" .. NARROW)
  local body, mark = text:match("^(.+)([;:!%?])$")
  if body and not ends_spaced(body) and not body:match("[%d:/;!%?]$")
      and (mark ~= ":" or not body:match("%p$")) then
    text = body .. NARROW .. mark
  end
  local open_at = text:find("«", 1, true)
  if open_at and open_at + #"«" <= #text and not starts_spaced(text:sub(open_at + #"«")) then
    text = text:sub(1, open_at - 1) .. "«" .. NARROW .. text:sub(open_at + #"«")
  end
  local close_at = text:find("»", 1, true)
  if close_at and close_at > 1 and not ends_spaced(text:sub(1, close_at - 1)) then
    text = text:sub(1, close_at - 1) .. NARROW .. text:sub(close_at)
  end
  return text
end

local function fix_str(text)
  text = text:gsub("(%w)'(%w)", "%1’%2")
  -- number ranges: a hyphen or a non-breaking hyphen (U+2011) between two numbers, not in dates or paths
  -- (a range ends with a number without a leading zero: 2026-04 is a month)
  text = text:gsub("^([%(%[]?)(%d+)%-([1-9]%d*)([%.,;:!%?%)%]]*)$", "%1%2–%3%4")
  text = text:gsub("^([%(%[]?)(%d+)\u{2011}([1-9]%d*)([%.,;:!%?%)%]]*)$", "%1%2–%3%4")
  if lang == "fr" then
    text = french_str(text)
  end
  return text
end

local RELATIONS = { ["="] = true, ["<"] = true, [">"] = true, ["≤"] = true, ["≥"] = true }

-- a number, signed with a hyphen or a minus sign or not
local function starts_number(text)
  return text:match("^%-?%d") or (text:sub(1, #"−") == "−" and text:sub(#"−" + 1):match("^%d"))
end

-- a relation between a word and a number (n = 214, p < 0,05): the spaces on either side
local function relation_at(inlines, i)
  local before, rel, space, after = inlines[i - 1], inlines[i + 1], inlines[i + 2], inlines[i + 3]
  return before and before.t == "Str" and before.text:match("%w$") and rel and rel.t == "Str" and RELATIONS[rel.text]
    and space and space.t == "Space" and after and after.t == "Str" and starts_number(after.text)
end

local function starts_french_close(text)
  return text:match("^[;:!%?]") or text:sub(1, #"»") == "»"
end

local function Inlines(inlines)
  for i = 1, #inlines do
    local node = inlines[i]
    if node.t == "Str" then
      node.text = fix_str(node.text)
    end
  end
  for i = 2, #inlines - 3 do
    if inlines[i].t == "Space" and relation_at(inlines, i) then
      inlines[i], inlines[i + 2] = pandoc.Str(NBSP), pandoc.Str(NBSP)
    end
  end
  for i = 2, #inlines - 1 do
    local before, node, after = inlines[i - 1], inlines[i], inlines[i + 1]
    if node.t == "Space" and before.t == "Str" and after.t == "Str" and before.text:match("%d$")
        and starts_with_unit(after.text) then
      inlines[i] = pandoc.Str(lang == "fr" and NARROW or NBSP)
    -- French: the space before ; : ! ? » whatever precedes it (a word, a link, emphasis), and after «
    elseif node.t == "Space" and lang == "fr" and ((after.t == "Str" and starts_french_close(after.text))
        or (before.t == "Str" and before.text:sub(-#"«") == "«")) then
      inlines[i] = pandoc.Str(NARROW)
    end
  end
  return inlines
end

return { { Meta = read_meta }, { Inlines = Inlines } }
